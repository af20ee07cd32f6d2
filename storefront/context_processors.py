from django.conf import settings


def shop(request):
    """Shop-wide names every page shows."""
    return {"shop_name": settings.SHOP_NAME, "sales_email": settings.SALES_EMAIL}
