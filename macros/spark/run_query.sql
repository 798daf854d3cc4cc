{#-
    run_query(sql): dbt's own run_query (one statement, its result as an
    agate table), overridden for one case only: a statement that returns no
    rows (create ... temporary view, drop, insert, ...) on Spark.

    Over dbt-spark's `thrift` method (the spark_thrift target: a Spark
    Thrift Server) such a statement cannot be run with its result fetched:
    the server answers with a result set of no columns, which the Hive
    client fails to read ("'NoneType' object is not iterable"). dbt's unit
    tests create such a view with run_query, and so does the Spark landing
    reader. On Spark (any method: the profile does not tell macros which)
    such a statement runs without a fetch and gives an empty table, as it
    did; every other statement, and every other adapter, is dbt's run_query
    unchanged.
-#}
{% macro run_query(sql) %}
    {%- set fetch = not (target.type == 'spark' and spark_statement_returns_no_rows(sql)) -%}
    {% call statement("run_query_statement", fetch_result=fetch, auto_begin=false) %}
        {{ sql }}
    {% endcall %}
    {% do return(load_result("run_query_statement").table) %}
{% endmacro %}


{#- Whether a Spark SQL statement is one that returns no rows: its first
    keyword, after comments, is a DDL or DML one. -#}
{% macro spark_statement_returns_no_rows(sql) %}
    {%- set body = modules.re.sub('^(\\s+|/\\*.*?\\*/|--[^\\n]*(\\n|$))*', '', sql | string, flags=modules.re.S) -%}
    {%- set first = (body.split() or [''])[0] | lower -%}
    {{ return(first in ['create', 'drop', 'insert', 'alter', 'truncate', 'merge', 'delete', 'update',
                        'cache', 'uncache', 'refresh', 'msck', 'analyze', 'use', 'comment']) }}
{% endmacro %}
