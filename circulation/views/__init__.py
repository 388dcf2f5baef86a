"""The website's circulation pages, thin over the services (writes) and selectors (reads):
``desk`` for staff at the circulation desk, ``account`` for patrons' self-service and the site's
sign-in, ``feed`` for the patrons' calendar feeds."""
