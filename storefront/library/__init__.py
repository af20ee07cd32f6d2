"""The buyer's library: sign in with the checkout address by a mailed one-time link or
code, then every report bought with that address.

Guest buyers have no user account, so this is a small flow of its own rather than
django-allauth's login by code, which signs in a User: the session only marks which
address was proven (storefront.library.session), and staff sign-in is untouched.
"""
