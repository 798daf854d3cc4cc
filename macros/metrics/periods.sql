{#-
    expand_periods_and_segments(relation): every row of `relation` (which has
    `month` and `segment`) once per reporting period it falls in — its month,
    quarter and year (`period_type`, `period_start`) — and once per segment
    grain: its own segment and 'all' (`segment_group`).
-#}
{% macro expand_periods_and_segments(relation) %}
    {%- set periods = [('month', 'month'), ('quarter', dbt.date_trunc('quarter', 'month')),
                       ('year', dbt.date_trunc('year', 'month'))] -%}
    {%- for period_type, period_start in periods %}
        {%- for segment_group in ['segment', "'all'"] %}
    select
        '{{ period_type }}' as period_type,
        cast({{ period_start }} as date) as period_start,
        {{ segment_group }} as segment_group,
        expanded.*
    from {{ relation }} as expanded
            {%- if not loop.last %}
    union all
            {%- endif %}
        {%- endfor %}
        {%- if not loop.last %}
    union all
        {%- endif %}
    {%- endfor %}
{% endmacro %}
