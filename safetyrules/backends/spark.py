"""The plan of one day run as Spark SQL on a given ``SparkSession``.

The query is :func:`safetyrules.backends.sql.compile_stages` in the ``spark``
dialect (backtick-quoted identifiers, backslash-escaped literals, ``filter``
/ ``aggregate`` higher-order functions), applied stage by stage with
``selectExpr`` (the same query as ``rules.to_sql(dialect="spark")``, whose
one nested ``SELECT`` costs Spark's analyser far more).  Input:

* anything :func:`~safetyrules.backends.columnar_io.read_table` reads (Arrow,
  polars, pandas, a file): checked as for the other backends, sent to Spark
  as Arrow, graded, and returned as a ``pyarrow.Table`` in input order;
* a Spark DataFrame: checked by its schema (undeclared or mistyped columns
  are a :class:`FactsError`) and by one Spark job for values a fact cannot
  take (non-integral or infinite numbers, bounds, enum values: the error
  names the column, not a row, as Spark rows have no order); absent facts
  are added as typed nulls, NaN is read as null, and the result is a Spark
  DataFrame (one row per input row).  List item fields are not value-checked.
  A DataFrame made from local data (``spark.createDataFrame`` of a pandas or
  Arrow table) is optimised by Spark's ``ConvertToLocalRelation``, which
  evaluates the whole rule set on the driver, interpreted (minutes for a
  few thousand rows): read registries from files, or add that rule to
  ``spark.sql.optimizer.excludedRules``, as the Arrow path does for its
  own query.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
from typing import Any, Dict, List, Mapping, Optional

from safetyrules.backends.columnar_io import ID_COLUMN, arrow_type, input_facts, read_table, require
from safetyrules.backends.sql import BackendError, Stages, clause_keys, compile_stages
from safetyrules.dsl.types import FactSpec
from safetyrules.errors import FactsError
from safetyrules.plan.model import Plan

__all__ = ["evaluate_spark", "local_session", "spark_type", "staged"]

_ROW = "__sr_row"
_views = itertools.count()


def local_session(master: str = "local[2]"):
    """A local ``SparkSession`` for tests and benchmarks (UI off, few shuffle
    partitions).  Finds Java through ``JAVA_HOME`` or ``java`` on ``PATH``."""
    require("pyspark", "spark")
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        for cand in ("/usr/lib/jvm/java-17-openjdk-amd64", "/usr/lib/jvm/default-java"):
            if os.path.isdir(cand):
                os.environ["JAVA_HOME"] = cand
                break
        else:
            raise BackendError("Spark needs Java (17 or later): set JAVA_HOME or put java on PATH")
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName("safetyrules")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )


def spark_type(spec: FactSpec) -> str:
    """A fact's column type in Spark SQL."""
    t = spec.type
    if t == "list" and not spec.item and spec.values:
        return "ARRAY<STRING>"
    if t == "list":
        fields = ", ".join(f"`{k.replace('`', '``')}`: {spark_type(v)}" for k, v in (spec.item or {}).items())
        return f"ARRAY<STRUCT<{fields}>>"
    return {"bool": "BOOLEAN", "integer": "BIGINT", "number": "DOUBLE", "string": "STRING", "enum": "STRING",
            "date": "DATE"}[t]


def _is_spark_df(data) -> bool:
    return type(data).__module__.startswith("pyspark.") and hasattr(data, "createOrReplaceTempView")


def evaluate_spark(plan: Plan, vocabulary: Mapping[str, FactSpec], data, spark):
    """Grade ``data`` on ``spark`` (see the module docstring)."""
    require("pyspark", "spark")
    if _is_spark_df(data):
        return _grade_dataframe(plan, vocabulary, data, spark)
    pa = require("pyarrow")
    from safetyrules.backends.columnar_result import assemble

    table, has_id = read_table(data, vocabulary)  # (.jsonl paths arrive as Arrow tables)
    table = table.append_column(_ROW, pa.array(range(table.num_rows), pa.int64()))
    view = f"__sr_facts_{os.getpid()}_{next(_views)}"  # (named in the stages, not registered)
    with _no_local_relation(spark):
        df = spark.createDataFrame(table)
        stages = compile_stages(plan, "spark", view, with_id=has_id, passthrough=(_ROW,), clause_columns=True)
        out = _to_arrow(staged(df, stages))
    out = _python_number_text(plan, out.sort_by(_ROW).drop([_ROW]))
    return assemble(out, clause_keys(plan), has_id)


_LOCAL_RULE = "org.apache.spark.sql.catalyst.optimizer.ConvertToLocalRelation"


@contextlib.contextmanager
def _no_local_relation(spark):
    """Spark's optimiser rule ``ConvertToLocalRelation`` evaluates a
    projection over local data (a DataFrame made from Arrow) on the driver,
    interpreted: for the bundled rule set it took 90 s of a 2,000-row query's
    optimisation.  Excluded while this backend's own query runs (the
    session's setting is restored after)."""
    key = "spark.sql.optimizer.excludedRules"
    before = spark.conf.get(key, None)
    rules = [r for r in (before or "").split(",") if r.strip()]
    if _LOCAL_RULE not in rules:
        spark.conf.set(key, ",".join(rules + [_LOCAL_RULE]))
    try:
        yield
    finally:
        if before is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, before)


def staged(df, stages: Stages):
    """The query of ``stages`` applied to ``df`` one stage at a time
    (``selectExpr``): Spark analyses each stage's new columns against an
    analysed child, where one 100,000-character ``SELECT`` of nested
    sub-selects cost 12-25 s of analysis (measured on the Shenzhen-shaped
    registry: 62 s a round as one query, 11 s staged).  The optimiser
    still sees one plan (its projections collapse), so the result is the
    same query."""
    for cols in stages.layers:
        df = df.selectExpr("*", *cols)
    df = df.selectExpr(*stages.final)
    if stages.order_by is not None:
        df = df.orderBy(stages.order_by)
    return df


def _number_keys(plan: Plan) -> List[str]:
    """The decision columns whose fact is a number."""
    return [k for k in ("level", "tier", "inspection")
            if getattr(plan.facts.get(plan.decision.get(k) or ""), "type", None) == "number"]


def _python_number_text(plan: Plan, out):
    """A number decision fact as ``rules.evaluate``'s text (``str`` of the
    float: ``1e-09``, ``0.0001``, ``1e+16``), not Java's (``1.0E-9``,
    ``1.0E-4``, ``1.0E16``, which ``CAST(... AS STRING)`` writes).  Java's
    text reads back as the same double."""
    pa = require("pyarrow")
    for key in _number_keys(plan):
        i = out.column_names.index(key)
        texts = [None if v is None else str(float(v)) for v in out.column(key).to_pylist()]
        out = out.set_column(i, key, pa.array(texts, pa.string()))
    return out


def _to_arrow(df):
    if hasattr(df, "toArrow"):
        return df.toArrow()
    pa = require("pyarrow")  # pragma: no cover - Spark < 4
    return pa.Table.from_pandas(df.toPandas(), preserve_index=False)  # pragma: no cover


_KINDS = {
    "bool": ("BooleanType",),
    "integer": ("LongType", "IntegerType", "ShortType", "ByteType", "DoubleType", "FloatType", "DecimalType"),
    "number": ("LongType", "IntegerType", "ShortType", "ByteType", "DoubleType", "FloatType", "DecimalType"),
    "string": ("StringType", "VarcharType", "CharType"),
    "enum": ("StringType", "VarcharType", "CharType"),
    "date": ("DateType", "TimestampNTZType"),
    "list": ("ArrayType",),
}


def _column_sql(name: str, spec: FactSpec, dtype) -> str:
    """The select expression reading one checked column of a Spark DataFrame."""
    col = "`" + name.replace("`", "``") + "`"
    kind = type(dtype).__name__
    if kind == "NullType":
        return f"CAST(NULL AS {spark_type(spec)})"
    if kind not in _KINDS[spec.type]:
        raise FactsError(f"column '{name}': must be {spec.type}, not {dtype.simpleString()}", fact=name)
    if spec.type in ("integer", "number") and kind in ("DoubleType", "FloatType"):
        # NaN is unknown
        col = f"(CASE WHEN isnan({col}) THEN NULL ELSE {col} END)"
    if spec.type == "list":
        elem = dtype.elementType
        if not spec.item and spec.values:
            if type(elem).__name__ not in _KINDS["enum"]:
                raise FactsError(f"column '{name}': must be a list of values (array<string>)", fact=name)
            return f"CAST({col} AS ARRAY<STRING>)"
        if type(elem).__name__ != "StructType":
            raise FactsError(f"column '{name}': must be a list of items (array<struct>)", fact=name)
        have = {f.name: f for f in elem.fields}
        fields = spec.item or {}
        for k in have:
            if k not in fields:
                raise FactsError(f"column '{name}': field '{k}' is not a declared field of '{name}' items", fact=name)
        parts = []
        for k, fs in fields.items():
            q = "`" + k.replace("`", "``") + "`"
            if k in have:
                fkind = type(have[k].dataType).__name__
                if fkind != "NullType" and (fs.type == "list" or fkind not in _KINDS[fs.type]):
                    raise FactsError(f"column '{name}[].{k}': must be {fs.type}, not {have[k].dataType.simpleString()}",
                                     fact=f"{name}[].{k}")
                field = f"__sr_x.{q}"
                if fs.type in ("integer", "number") and fkind in ("DoubleType", "FloatType"):
                    field = f"(CASE WHEN isnan({field}) THEN NULL ELSE {field} END)"  # NaN is unknown
                parts.append(f"'{k}', CAST({field} AS {spark_type(fs)})")
            else:
                parts.append(f"'{k}', CAST(NULL AS {spark_type(fs)})")
        return f"CAST(transform({col}, __sr_x -> named_struct({', '.join(parts)})) AS {spark_type(spec)})"
    return f"CAST({col} AS {spark_type(spec)})"


def _item_value_sql(name: str, spec: FactSpec, dtype) -> List[tuple]:
    """(fact, condition, message) triples that find list items a list fact
    cannot take: a null item, and each item field's values as
    :func:`_bad_value_sql` finds them (named ``cranes[].age``, as on the
    other inputs)."""
    col = "`" + name.replace("`", "``") + "`"
    if type(dtype).__name__ != "ArrayType":
        return []
    elem = dtype.elementType
    out = []
    if not spec.item and spec.values:
        out.append((name, f"exists({col}, __sr_y -> __sr_y IS NULL)", "list items must be values, got None"))
        values = ", ".join(_sql_text(v) for v in spec.values)
        out.append((name, f"exists({col}, __sr_y -> __sr_y NOT IN ({values}))",
                    f"has a value not one of: {', '.join(spec.values)}"))
        return out
    if type(elem).__name__ != "StructType":
        return out
    out.append((name, f"exists({col}, __sr_y -> __sr_y IS NULL)", "list items must be mappings of fields, got None"))
    have = {f.name: f.dataType for f in elem.fields}
    for k, fs in (spec.item or {}).items():
        if k not in have or fs.type == "list":
            continue
        field = "__sr_y.`" + k.replace("`", "``") + "`"
        for cond, msg in _bad_value_sql(k, fs, have[k], expr=field):
            out.append((f"{name}[].{k}", f"exists({col}, __sr_y -> {cond})", msg))
    return out


def _sql_text(v: str) -> str:
    return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _bad_value_sql(name: str, spec: FactSpec, dtype, expr: Optional[str] = None) -> List[tuple]:
    """(condition, message) pairs that find values a fact cannot take
    (``expr`` reads the value; the column ``name`` by default)."""
    col = expr if expr is not None else "`" + name.replace("`", "``") + "`"
    kind = type(dtype).__name__
    out = []
    if spec.type in ("integer", "number") and kind in ("DoubleType", "FloatType"):
        out.append((f"NOT isnan({col}) AND abs({col}) = double('inf')", "must be a finite number"))
        if spec.type == "integer":
            # not floor(): it returns a BIGINT, which overflows (an ANSI
            # error) for an integral double past 64 bits
            finite = f"NOT isnan({col}) AND abs({col}) <> double('inf')"
            out.append((f"{finite} AND {col} % double(1) <> double(0)", "must be a whole number"))
            out.append((f"{finite} AND ({col} >= double(9223372036854775807) OR {col} < double(-9223372036854775808))",
                        "holds a number too large for a 64-bit column"))
    if spec.type in ("integer", "number"):
        if spec.min is not None:
            out.append((f"{col} < {float(spec.min)!r}", f"must be at least {spec.min}"))
        if spec.max is not None:
            out.append((f"{col} > {float(spec.max)!r}", f"must be at most {spec.max}"))
    if spec.type == "date" and kind == "TimestampNTZType":
        # a date and time is refused, as for the other inputs; midnight is the date
        out.append((f"{col} <> CAST(CAST({col} AS DATE) AS TIMESTAMP_NTZ)", "must be a date, not a date and time"))
    if spec.type == "enum" and spec.values:
        values = ", ".join("'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'" for v in spec.values)
        out.append((f"{col} NOT IN ({values})", f"has a value not one of: {', '.join(spec.values)}"))
    return out


def _check_values(spark, src: str, checks: List[tuple]) -> None:
    """One Spark job: the first check (in column order) that some row fails."""
    if not checks:
        return
    parts = [f"max(CASE WHEN {cond} THEN 1 ELSE 0 END) AS `c{i}`" for i, (_, cond, _) in enumerate(checks)]
    row = spark.sql(f"SELECT {', '.join(parts)} FROM `{src}`").collect()[0]
    for i, (name, _, msg) in enumerate(checks):
        if row[i]:
            raise FactsError(f"column '{name}': {msg}", fact=name)


def _grade_dataframe(plan: Plan, vocabulary: Mapping[str, FactSpec], df, spark):
    fields = {f.name: f.dataType for f in df.schema.fields}
    for n in fields:
        if n.startswith(("findings.", "as_of")):
            raise FactsError(f"column '{n}': '{n}' is computed by the engine and cannot be given as a fact", fact=n)
        if n not in vocabulary and n != ID_COLUMN:
            raise FactsError(f"column '{n}': unknown fact '{n}'", fact=n)
    has_id = ID_COLUMN in fields
    cols: List[str] = []
    checks: List[tuple] = []
    if has_id:
        cols.append(f"CAST(`{ID_COLUMN}` AS STRING) AS `{ID_COLUMN}`")
    for name in input_facts(vocabulary):
        if name == ID_COLUMN:
            continue
        spec = vocabulary[name]
        q = "`" + name.replace("`", "``") + "`"
        expr = _column_sql(name, spec, fields[name]) if name in fields else f"CAST(NULL AS {spark_type(spec)})"
        cols.append(f"{expr} AS {q}")
        if name in fields:
            checks.extend((name, cond, msg) for cond, msg in _bad_value_sql(name, spec, fields[name]))
            if spec.type == "list":
                checks.extend(_item_value_sql(name, spec, fields[name]))
    src = f"__sr_in_{os.getpid()}_{next(_views)}"
    view = f"__sr_facts_{os.getpid()}_{next(_views)}"
    df.createOrReplaceTempView(src)
    _check_values(spark, src, checks)
    facts = spark.sql(f"SELECT {', '.join(cols)} FROM `{src}`")
    out = staged(facts, compile_stages(plan, "spark", view, with_id=has_id))
    numbers = _number_keys(plan)
    if numbers:  # Python's text of a float (see _python_number_text)
        from pyspark.sql import functions as F

        text = F.udf(lambda v: None if v is None else str(float(v)), "string")
        def col(c):
            return F.col("`" + c.replace("`", "``") + "`")

        out = out.select(*[text(col(c)).alias(c) if c in numbers else col(c) for c in out.columns])
    return out
