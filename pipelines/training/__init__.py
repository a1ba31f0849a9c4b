"""QLoRA training of the answering model's adapter, and what decides whether it goes live."""
