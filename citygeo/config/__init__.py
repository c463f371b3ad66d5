"""The city configuration (DESIGN.md §3): one TOML file, validated into frozen objects."""

from citygeo.config.city import (
    CitySettings,
    CitySpec,
    BoundariesSpec,
    IndicatorsSpec,
    PointsSpec,
    SurveySpec,
    OnlineSpec,
    RegistersSpec,
    SourceSpec,
    MethodologyRef,
    CityConfig,
    load_city_config,
    projected_crs_problem,
)

__all__ = [
    "CitySettings",
    "CitySpec",
    "BoundariesSpec",
    "IndicatorsSpec",
    "PointsSpec",
    "SurveySpec",
    "OnlineSpec",
    "RegistersSpec",
    "SourceSpec",
    "MethodologyRef",
    "CityConfig",
    "load_city_config",
    "projected_crs_problem",
]
