"""The tutorial's serializer and views, unchanged in spirit: no select/prefetch tuning."""

from rest_framework import filters, generics, serializers

from bench.stock_drf.stockapp.models import Book


class BookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        fields = "__all__"


class BookList(generics.ListAPIView):
    queryset = Book.objects.all()  # type: ignore[misc]  # app unknown to mypy
    serializer_class = BookSerializer
    filter_backends = [filters.SearchFilter]
    search_fields = ["title", "authors__name", "isbn"]


class BookDetail(generics.RetrieveAPIView):
    queryset = Book.objects.all()  # type: ignore[misc]  # app unknown to mypy
    serializer_class = BookSerializer
