"""The reliability proving ground: faults, duplicates, fuzz, load and secrets (`make reliability`).

Everything runs against processes started on 127.0.0.1 (a moto server, a fault proxy, uvicorn,
worker loops) and stops by itself: every scenario is bounded in deliveries and in time.
"""
