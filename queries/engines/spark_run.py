"""Run pingyi's named queries, or compute its metric tables, on Spark SQL over the same warehouse Parquet files.

    python queries/engines/spark_run.py --warehouse warehouse --name breach_list --param year=2012
    python queries/engines/spark_run.py --warehouse warehouse --compare target/release/pingyi
    python queries/engines/spark_run.py --warehouse warehouse --compute --out metrics --config pingyi.toml [--check]

Each warehouse table becomes a Spark temp view over the files MANIFEST.json
lists (spark.read.parquet(*files)). The session runs with
spark.sql.ansi.enabled and spark.sql.ansi.doubleQuotedIdentifiers, so the
queries' "window", "group" and "column" are identifiers, as in ANSI SQL.
With --compare, every named query runs on Spark with its `-- example:`
parameters and through `pingyi query --name NAME --example`, and the two
answers must have the same columns and the same rows in the same order
(floats to 1e-9); the exit status is the number of queries that differ.
With --compute, every SQL model of queries/metrics runs in the order of its
inputs and is written to OUT/NAME/ (Parquet part files); --check compares
each with the table `pingyi compute` wrote. Under spark-submit the session
is the cluster's (--master from spark-submit, not local[*]), and --warehouse
and --out may be hdfs:// or s3a:// URIs (README: "Metrics on a cluster").

Needs Java 17 or later (pyspark 4.x); see requirements-spark.txt.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
import models  # noqa: E402

# Log4j2 config for the driver JVM: errors only, and no "default log4j
# profile" or "Setting default log level" banner before setLogLevel can take
# effect (pyspark's gateway class plays the shell's part in that check).
LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
logger.repl.name = org.apache.spark.api.python.PythonGatewayServer
logger.repl.level = error
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n
"""


def session(driver_memory="1g", master="local[*]"):
    # Timestamps come back to Python in the process's local zone: make it UTC,
    # like the session's.
    os.environ["TZ"] = "UTC"
    time.tzset()
    log4j = Path(tempfile.gettempdir()) / "pingyi-spark-log4j2.properties"
    log4j.write_text(LOG4J2, encoding="utf-8")
    from pyspark.sql import SparkSession

    spark = (
        (SparkSession.builder.master(master) if master else SparkSession.builder)
        .appName("pingyi-queries")
        .config("spark.driver.memory", driver_memory)
        .config("spark.driver.extraJavaOptions", f"-Dlog4j.configurationFile=file:{log4j}")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.ansi.enabled", "true")
        .config("spark.sql.ansi.doubleQuotedIdentifiers", "true")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    for key in ("spark.sql.ansi.enabled", "spark.sql.ansi.doubleQuotedIdentifiers"):
        if spark.conf.get(key, "false").lower() != "true":
            raise SystemExit(f"this Spark ({spark.version}) does not honour {key}; use pyspark >= 3.4")
    return spark


def connect(warehouse, driver_memory="1g", master="local[*]"):
    spark = session(driver_memory, master)
    for name, files in common.tables(warehouse, lambda uri: read_text(spark, uri)).items():
        # The files are given one by one, so each file's own folder is its base
        # path and Spark infers no partition column from the period=… folders:
        # the ratings files carry the period column themselves.
        df = spark.read.parquet(*files)
        lowered = [c.lower() for c in df.columns]
        dup = sorted({c for c in lowered if lowered.count(c) > 1})
        if dup:
            raise SystemExit(f"table {name}: columns {dup} appear more than once in {df.columns}")
        df.createOrReplaceTempView(name)
    return spark


def read_text(spark, uri):
    """A small text file (the manifest) through Spark's file system: HDFS, S3."""
    return spark.read.text(uri, wholetext=True).first()[0]


class Engine:
    """models.compute's view of Spark: each model's result is written to
    OUT/NAME (Spark's committer: part files, then _SUCCESS) and read back."""

    dialect = "spark"

    def __init__(self, spark):
        self.spark = spark
        self.names = set()

    def register_files(self, name, files):
        self.spark.read.parquet(*files).createOrReplaceTempView(name)
        self.names.add(name)

    def register_sql(self, name, sql):
        self.spark.sql(sql).createOrReplaceTempView(name)
        self.names.add(name)

    def has(self, name):
        return name in self.names

    def fetch(self, sql):
        df = self.spark.sql(sql)
        return list(df.columns), [tuple(r) for r in df.collect()]

    def materialize(self, name, sql, out):
        path = f"{out}/{name}"
        self.spark.sql(sql).write.mode("overwrite").parquet(path)
        self.register_files(name, [path])
        return self.fetch(f'select count(*) from "{name}"')[1][0][0]


def run(spark, query, values):
    df = spark.sql(common.bind(query, values))
    columns = list(df.columns)
    return columns, [tuple(r) for r in df.collect()]


if __name__ == "__main__":
    ap = common.arguments(__doc__, __file__)
    ap.add_argument("--driver-memory", default="1g", help="spark.driver.memory (default 1g)")
    ap.add_argument("--master", default="local[*]",
                    help="Spark master (default local[*]; pass '' under spark-submit to take its --master)")
    args = ap.parse_args()
    if args.compute:
        if not args.out:
            sys.exit("--compute needs --out FOLDER")
        spark = session(args.driver_memory, args.master)
        try:
            listed = common.tables(args.warehouse, lambda uri: read_text(spark, uri))
            code = models.compute(Engine(spark), args, listed)
        finally:
            spark.stop()
        sys.exit(code)
    common.main("Spark", args, lambda a: connect(a.warehouse, a.driver_memory, a.master), run, lambda spark: spark.stop())
