"""Public status pages: components built from targets, status updates, an Atom feed."""
