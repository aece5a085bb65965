"""Ingest as a row of small stages over one typed record per file (``records``):

collect (walk folders, read the manifest) → identify (hash, detect format) → analyse (extract
text and metadata in isolated worker processes, cached by content hash in ``cache``) → store
the original → describe (catalogue values and tags) → catalogue (one transaction per batch,
queued for the index). ``pipeline.run_ingest`` runs them.

This package's ``__init__`` imports nothing, so a worker importing ``ingest.analyse`` loads only
what extraction needs.
"""
