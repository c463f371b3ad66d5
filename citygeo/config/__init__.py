"""The city configuration (DESIGN.md §3): one TOML file, validated into frozen objects."""

from citygeo.config.city import (
    BoundariesSpec,
    CityConfig,
    CitySettings,
    CitySpec,
    IndicatorsSpec,
    MethodologyRef,
    OnlineSpec,
    PointsSpec,
    RegistersSpec,
    SourceSpec,
    SurveySpec,
    load_city_config,
    projected_crs_problem,
)

__all__ = [
    "BoundariesSpec",
    "CityConfig",
    "CitySettings",
    "CitySpec",
    "IndicatorsSpec",
    "MethodologyRef",
    "OnlineSpec",
    "PointsSpec",
    "RegistersSpec",
    "SourceSpec",
    "SurveySpec",
    "load_city_config",
    "projected_crs_problem",
]
