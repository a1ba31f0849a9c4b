"""The generator: a transformers causal LM (+ optional LoRA adapter) behind a LangChain chat model."""
