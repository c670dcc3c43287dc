"""REST API of the scheduling app, one module per area; routes in scheduling/api_urls.py."""
