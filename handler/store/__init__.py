"""Store: the archive (S3), the work queue (SQS) and the exactly-once record (DynamoDB)."""
