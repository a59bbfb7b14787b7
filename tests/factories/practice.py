"""Centers and services, through practice.services (centers are an MPTT tree: a raw row
would leave the tree columns and the ancestor columns wrong)."""

from __future__ import annotations

import factory

from practice.models import Center, Platform, Service
from practice.services import center_save, service_save


class CenterFactory(factory.Factory):
    """A child center of ``parent`` (required); code and name follow a sequence."""

    class Meta:
        model = Center

    name = factory.Sequence(lambda n: f"测试社区{n}")
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.parent.code}{100 + n:03d}")

    @classmethod
    def _create(cls, model_class, **fields) -> Center:
        return center_save(actor=None, center=model_class(**fields))


class ServiceFactory(factory.Factory):
    """A service offered by ``center`` (required)."""

    class Meta:
        model = Service

    platform = Platform.CULTURE
    name = factory.Sequence(lambda n: f"测试服务{n}")

    @classmethod
    def _create(cls, model_class, **fields) -> Service:
        return service_save(actor=None, service=model_class(**fields))
