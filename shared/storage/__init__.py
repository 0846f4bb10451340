"""Where uploaded lab-report PDFs wait to be read: local files, Postgres or S3."""
