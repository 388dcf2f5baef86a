"""Assertions shared by every app's API tests."""


def assert_error(response, status: int, code: str) -> dict:
    """The response is an error in the one API error shape, with this status and code."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert (error["status"], error["code"]) == (status, code)
    assert isinstance(error["message"], str)
    assert error["message"]
    return error
