"""A glanceclient-v2-shaped client over Deltacloud images.

Deltacloud image ids are not UUIDs (``img1``), and Heat looks non-UUID ids
up by name, so ``images.list(filters={"name": x})`` matches ids as well as
names.
"""

from heat_deltacloud.compat import base, refusals
from heat_deltacloud.compat.glance import exceptions

#: Deltacloud image state -> Glance image status.
IMAGE_STATUS = {"AVAILABLE": "active", "PENDING": "queued",
                "SAVING": "saving", "ERROR": "killed",
                "DELETED": "deleted"}


NO_CHANGES = ("the glance shim only reads Deltacloud images: it does not "
              "create, change or delete them")
#: Glance image calls the shim refuses (501): Heat deletes a server
#: snapshot's image through ``images.delete``.
REFUSED = dict.fromkeys(("create", "update", "delete", "upload", "data",
                         "deactivate", "reactivate", "add_location",
                         "delete_locations", "update_location"),
                        NO_CHANGES)


class Image(dict):
    """A glance v2 image: a dict whose keys are also attributes."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def image_info(image):
    return Image({
        "id": image.id,
        "name": image.name,
        "status": IMAGE_STATUS.get((image.state or "").upper(), "queued"),
        "min_ram": 0,
        "min_disk": 0,
        "owner": image.owner,
        "visibility": "public",
        "architecture": image.architecture,
        "description": image.description,
        "container_format": "bare",
        "disk_format": "raw",
        "created_at": image.creation_time,
        "deltacloud:root_type": image.root_type,
        "deltacloud:hardware_profiles": list(image.hardware_profiles),
    })


@refusals.refusing(REFUSED, exceptions.HTTPNotImplemented)
class ImageManager(base.Manager):
    """Glance v2 images are plain dicts, not :class:`base.Resource`."""

    def get(self, image_id):
        with exceptions.translating():
            return image_info(self.dc.images.get(image_id))

    def get_cached(self, image_id):
        """Like :meth:`get`, from the client's discovery cache when there."""
        with exceptions.translating():
            return image_info(self.dc.images.cached(image_id))

    def list(self, filters=None, limit=None, page_size=None, **kwargs):
        """Images matching ``filters`` (``name`` matches ids too)."""
        filters = dict(filters or {})
        wanted = filters.pop("name", None)
        with exceptions.translating():
            images = [image_info(i) for i in self.dc.images.list()]
        if wanted is not None:
            images = [i for i in images if wanted in (i["name"], i["id"])]
        for key, value in filters.items():
            images = [i for i in images if i.get(key) == value]
        return iter(images[:limit] if limit else images)


class Client:
    """The subset of ``glanceclient.v2.client.Client`` Heat 27 uses."""

    def __init__(self, deltacloud_client):
        self.deltacloud = deltacloud_client
        self.images = ImageManager(self)


__all__ = ["Client", "exceptions"]
