"""The ride-delay domain of the demo (resources/contract/models.md §4), shared by the service,
its load generator and the tests.

The feature schema is the one ``mldeckctl simulate`` registers (``core/demo/RideDelayGenerator``):
numeric features first, then the categorical ones, categories in one-hot order.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Sequence

NUMERIC: List[str] = ["distance_km", "planned_duration_min", "hour", "weekday", "traffic_index", "rain_mm",
                      "temperature_c", "driver_load"]
CATEGORICAL: Dict[str, List[str]] = {
    "pickup_zone": ["center", "old_town", "business_district", "university", "airport", "harbor",
                    "suburbs_north", "suburbs_south"],
    "vehicle_type": ["sedan", "van", "premium", "moto"],
}

# The deployment's feature schema in the form of mldeck.feature_schemas.features.
FEATURES: List[Dict[str, Any]] = [{"name": n, "kind": "numeric"} for n in NUMERIC] + [
    {"name": n, "kind": "categorical", "categories": c} for n, c in CATEGORICAL.items()]

DESCRIPTION = "Ride delay prediction (demo)"

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEMO_MODEL = os.path.join(SOURCE_DIR, "resources", "models", "eta_mlp.pt")


def heuristic_delay(numeric: Sequence[float]) -> float:
    """The non-ML rule of the demo (``heuristicDelay`` in core/demo):
    ``2.5 + 0.09 · planned · max(0, traffic − 2.5) + (rain > 0 ? 2 : 0)``."""
    planned, traffic, rain = numeric[1], numeric[4], numeric[5]
    return 2.5 + 0.09 * planned * max(0.0, traffic - 2.5) + (2.0 if rain > 0 else 0.0)
