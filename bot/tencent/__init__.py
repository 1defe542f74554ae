"""The Tencent Meeting side: signing, the throttled client, typed models and errors."""
