"""Constants the report tests share (a uniquely named module, so test
folders import it in any order)."""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DAY = "2024-03-01"
