"""The Heat side: a ``cloud_backend`` class, client plugins and options."""
