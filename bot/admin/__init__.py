"""`/faq-admin`: knowledge sources managed from Slack by the people allowed to."""
