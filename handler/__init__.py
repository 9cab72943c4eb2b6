"""Serverless webhook receiver: verify, acknowledge, never lose, process once."""
