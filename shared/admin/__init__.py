"""What the admin sees: usage statistics, knowledge gaps, cited documents, rated answers and
blood-work outcomes read from Postgres, and the audit of every admin request."""
