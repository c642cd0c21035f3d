"""The HTTP service: settings, application, request and response schemas, routes."""
