from django.views.defaults import server_error as html_server_error

from shelfmark.api.exceptions import api_server_error


def server_error(request):
    """500 page: JSON in the API's error shape under /api/, HTML elsewhere."""
    if request.path.startswith("/api/"):
        return api_server_error(request)
    return html_server_error(request)
