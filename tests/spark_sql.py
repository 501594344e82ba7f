"""Runs SQL in Spark (local mode, pyspark) on gamelake's tables through Apache Iceberg's own
Java library: the library Dremio, Trino and Spark are built on, stricter than the other
readers the tests use.

Usage: spark_sql.py rest              (the REST catalog: CATALOG_URI, CATALOG_WAREHOUSE,
                                       CATALOG_CREDENTIAL if any, AWS_ENDPOINT_URL, AWS_REGION,
                                       AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)
       spark_sql.py embedded WAREHOUSE (Iceberg's JDBC catalog over WAREHOUSE/catalog.db, the
                                       embedded catalog's SQLite file, same schema)
Reads a JSON list of SQL statements on stdin; the Iceberg catalog is `gamelake`, so a table is
`gamelake.<namespace>.<table>` and a procedure `gamelake.system.<name>`. Prints one JSON list:
per statement, its rows (lists of values, in column order). A statement that fails ends the
script with Spark's error on stderr and exit code 1.
The jars (Iceberg's Spark runtime, its AWS bundle, the SQLite JDBC driver) are those
scripts/setup-spark.sh lists in SPARK_CLASSPATH_FILE.
"""
import json
import os
import sys

from pyspark.sql import SparkSession

CATALOG = "spark.sql.catalog.gamelake"


def catalog_settings(argv):
    if argv[1] == "embedded":
        warehouse = os.path.abspath(argv[2])
        # The embedded catalog writes its rows with catalog_name 'gamelake' in Iceberg's JDBC
        # catalog schema (V1, with iceberg_type): the JDBC catalog of that name is the same.
        return {
            CATALOG + ".catalog-impl": "org.apache.iceberg.jdbc.JdbcCatalog",
            CATALOG + ".uri": "jdbc:sqlite:" + os.path.join(warehouse, "catalog.db"),
            CATALOG + ".jdbc.schema-version": "V1",
            CATALOG + ".warehouse": warehouse,
        }
    env = os.environ
    settings = {
        CATALOG + ".type": "rest",
        CATALOG + ".uri": env["CATALOG_URI"],
        CATALOG + ".warehouse": env["CATALOG_WAREHOUSE"],
        CATALOG + ".io-impl": "org.apache.iceberg.aws.s3.S3FileIO",
        CATALOG + ".s3.endpoint": env["AWS_ENDPOINT_URL"],
        CATALOG + ".s3.path-style-access": "true",
        CATALOG + ".s3.access-key-id": env["AWS_ACCESS_KEY_ID"],
        CATALOG + ".s3.secret-access-key": env["AWS_SECRET_ACCESS_KEY"],
        CATALOG + ".client.region": env.get("AWS_REGION", "us-east-1"),
    }
    if env.get("CATALOG_CREDENTIAL"):
        settings[CATALOG + ".credential"] = env["CATALOG_CREDENTIAL"]
    return settings


def session(argv):
    with open(os.environ["SPARK_CLASSPATH_FILE"]) as f:
        jars = ",".join(line.strip() for line in f if line.strip())
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("gamelake-tests")
        .config("spark.jars", jars)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config(
            "spark.sql.extensions",
            "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
        )
        .config(CATALOG, "org.apache.iceberg.spark.SparkCatalog")
    )
    for key, value in catalog_settings(argv).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def plain(value):
    """A value JSON can carry: numbers stay numbers, the rest (dates, decimals) as text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def main():
    statements = json.load(sys.stdin)
    spark = session(sys.argv)
    out = []
    for statement in statements:
        rows = spark.sql(statement).collect()
        out.append([[plain(v) for v in row] for row in rows])
    print(json.dumps(out))
    spark.stop()


main()
