"""The Tencent Meeting side: signing, the throttled client, reading its records, errors."""
