"""Receive: verify a delivery, acknowledge it, hand it off durably; keep what was refused."""
