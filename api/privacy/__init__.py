"""Privacy and data lifecycle: retention, deletion, export, staff access, backups."""
