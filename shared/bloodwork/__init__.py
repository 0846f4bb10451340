"""Blood-work reports: markers read from a lab-report PDF, in canonical units, flagged."""
