from rest_framework.permissions import SAFE_METHODS, BasePermission


class IsStaffOrReadOnly(BasePermission):
    """Anyone may read; writing needs an active staff account.

    Anonymous writers get 401 (with WWW-Authenticate, from the token authenticator), signed-in
    non-staff writers 403.
    """

    message = "Only staff accounts may change the catalog."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.is_staff)
