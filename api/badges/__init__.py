"""Public badges of a target (SVG and shields.io JSON), addressed by a rotatable token."""
