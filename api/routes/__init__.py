"""The API's routers, one module a feature."""
