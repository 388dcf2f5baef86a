"""Circulation's REST API under /api/v1/."""

from django.urls import path

from circulation import api, api_fines

urlpatterns = [
    path("patron-categories/", api.CategoryListApi.as_view(), name="patron-category-list"),
    path(
        "patron-categories/<id:pk>/", api.CategoryDetailApi.as_view(), name="patron-category-detail"
    ),
    path("patrons/", api.PatronListApi.as_view(), name="patron-list"),
    path("patrons/<id:pk>/", api.PatronDetailApi.as_view(), name="patron-detail"),
    path("patrons/<id:pk>/renew-card/", api.PatronRenewCardApi.as_view(), name="patron-renew-card"),
    path("circulation/checkout/", api.CheckoutApi.as_view(), name="circulation-checkout"),
    path("circulation/checkin/", api.CheckinApi.as_view(), name="circulation-checkin"),
    path("loans/", api.LoanListApi.as_view(), name="loan-list"),
    path("loans/<id:pk>/", api.LoanDetailApi.as_view(), name="loan-detail"),
    path("loans/<id:pk>/renew/", api.LoanRenewApi.as_view(), name="loan-renew"),
    path("holds/", api.HoldListApi.as_view(), name="hold-list"),
    path("holds/<id:pk>/", api.HoldDetailApi.as_view(), name="hold-detail"),
    path("holds/<id:pk>/cancel/", api.HoldCancelApi.as_view(), name="hold-cancel"),
    path("me/", api.MeApi.as_view(), name="me"),
    path("fines/", api_fines.FineListApi.as_view(), name="fine-list"),
    path("fines/<id:pk>/", api_fines.FineDetailApi.as_view(), name="fine-detail"),
    path("fines/<id:pk>/waive/", api_fines.FineWaiveApi.as_view(), name="fine-waive"),
    path("patrons/<id:pk>/payments/", api_fines.PatronPaymentApi.as_view(), name="patron-payments"),
]
