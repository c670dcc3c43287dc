"""OCDS 1.1.5: the official schemas (data, Apache-2.0), the release builder and the offline validator."""
