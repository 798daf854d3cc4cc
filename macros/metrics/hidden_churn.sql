{#-
    Hidden churn: usage rollups and the risk score (docs/definitions.md, hidden_churn_risk).
    The scoring rules live here so that the whole score fits on one screen;
    the weights and cut-offs are vars (dbt_project.yml, "Hidden churn").
-#}


{#- True when an event is one of the valuable_events: its feature (for
    feature_used events) or its event_name is in the list. -#}
{% macro is_valuable_event(event_name, feature) -%}
    {%- set valuable = var('valuable_events', []) -%}
    {%- if valuable is string -%}
        {%- set valuable = valuable.split(',') | map('trim') | reject('equalto', '') | list -%}
    {%- endif -%}
    {%- if valuable | length == 0 -%}
        false
    {%- else -%}
        {%- set quoted = [] -%}
        {%- for name in valuable -%}
            {%- do quoted.append("'" ~ (name | string | replace("'", "''")) ~ "'") -%}
        {%- endfor -%}
        coalesce({{ feature }} in ({{ quoted | join(', ') }}) or {{ event_name }} in ({{ quoted | join(', ') }}), false)
    {%- endif -%}
{%- endmacro %}


{#- Materialization of the daily usage rollup: incremental where the engine
    can replace rows of a table in place (DuckDB: delete+insert). Spark's
    default Parquet tables cannot (no delete, no merge without Delta /
    Iceberg / Hudi), so there the rollup is rebuilt as a table each run:
    same rows, and `is_incremental()` (its delete pre-hook, the lookback
    filter) is then always false. -#}
{% macro usage_materialization() %}
    {{ return(adapter.dispatch('usage_materialization', 'subscription_metrics')()) }}
{% endmacro %}

{% macro default__usage_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__usage_materialization() -%}
    {{ return('table') }}
{%- endmacro %}


{#- The texts given, separated by '; ', skipping nulls; null when all are. -#}
{% macro join_reasons(texts) %}
    {{ return(adapter.dispatch('join_reasons', 'subscription_metrics')(texts)) }}
{% endmacro %}

{% macro default__join_reasons(texts) -%}
    nullif(concat_ws('; ', {{ texts | join(', ') }}), '')
{%- endmacro %}


{#- A whole number as text (for reasons): 72, not 72.0. -#}
{% macro integer_text(expression) -%}
    cast(cast(round({{ expression }}, 0) as {{ dbt.type_bigint() }}) as {{ dbt.type_string() }})
{%- endmacro %}


{#- `value` clamped to [low, high]. -#}
{% macro clamp(value, low, high) -%}
    least(greatest({{ value }}, {{ low }}), {{ high }})
{%- endmacro %}


{#- Relative decline of a usage rate, recent vs baseline:
    1 - recent / baseline. 0.72 = down 72%; negative = up. Null when the
    baseline is 0 (nothing to decline from). -#}
{% macro usage_decline(baseline_rate, recent_rate) -%}
    (1 - {{ safe_divide(recent_rate, baseline_rate) }})
{%- endmacro %}


{#- How a window length reads in a reason: "8 weeks" or "10 days". -#}
{% macro window_words(days) -%}
    {%- set days = days | int -%}
    {%- if days % 7 == 0 -%}
        {{ (days // 7) ~ (' week' if days == 7 else ' weeks') }}
    {%- else -%}
        {{ days ~ (' day' if days == 1 else ' days') }}
    {%- endif -%}
{%- endmacro %}


{#- Points of the usage decline: 0 up to the noise band, rising linearly to
    the full `hidden_churn_points_usage_decline` at the decline threshold. -#}
{% macro usage_decline_points(decline) -%}
    {%- set noise = var('hidden_churn_noise_band') | float -%}
    {%- set threshold = var('hidden_churn_decline_threshold') | float -%}
    {%- set points = var('hidden_churn_points_usage_decline') | float -%}
    {%- if threshold <= noise -%}
        {{ exceptions.raise_compiler_error("hidden_churn_decline_threshold must be above hidden_churn_noise_band") }}
    {%- endif -%}
    coalesce({{ points }} * {{ clamp('(' ~ decline ~ ' - ' ~ noise ~ ') / ' ~ (threshold - noise), 0, 1) }}, 0)
{%- endmacro %}


{#- The risk tier of a score: none / low / medium / high at the cut-offs
    hidden_churn_tier_low_score, _medium_score and _high_score. -#}
{% macro hidden_churn_risk_tier(score) -%}
    case
        when {{ score }} >= {{ var('hidden_churn_tier_high_score') }} then 'high'
        when {{ score }} >= {{ var('hidden_churn_tier_medium_score') }} then 'medium'
        when {{ score }} >= {{ var('hidden_churn_tier_low_score') }} then 'low'
        else 'none'
    end
{%- endmacro %}


{#- A count over a window as a rate per week of the days it covers (null
    when it covers none), as a double. -#}
{% macro per_week(amount, days_covered) -%}
    cast({{ safe_divide('7.0 * ' ~ amount, days_covered) }} as {{ type_double() }})
{%- endmacro %}


{#- x / y as a double, null when y is 0. -#}
{% macro ratio(numerator, denominator) -%}
    cast({{ safe_divide(numerator, denominator) }} as {{ type_double() }})
{%- endmacro %}


{#- `columns` (which include usage_date) of the day rows of `relation`, each
    with every snapshot day (a month's evaluation day, int_months) whose
    window of `window_days` days through it holds the row's day: the
    evaluation days of the day's own month and of the months the window
    reaches. The join to the snapshots is then on equal keys (comparing every
    day with every snapshot of a customer, or a range join to the months,
    was several times slower). The candidate month is a column of a
    subquery so that DuckDB joins on it rather than on the range.
    `months`: the months to take snapshot days from (default: all of
    int_months; a CTE of its rows `month`, `evaluated_on`). -#}
{% macro with_snapshot_days(relation, columns, window_days, months=none) -%}
    select
        {%- for column in columns %}
        candidates.{{ column }},
        {%- endfor %}
        months.evaluated_on as snapshot_date
    from (
        select
            {%- for column in columns %}
            source_rows.{{ column }},
            {%- endfor %}
            {{ month_after('source_rows.usage_date', 'month_offsets.month_offset') }} as snapshot_month
        from {{ relation }} as source_rows
        -- A window of N days reaches at most N // 28 + 1 months past its first day.
        cross join ({{ integer_rows('month_offset', 0, window_days // 28 + 1) }}) as month_offsets
    ) as candidates
    inner join {{ months or ref('int_months') }} as months
        on candidates.snapshot_month = months.month
    where
        months.evaluated_on >= candidates.usage_date
        and {{ dbt.dateadd('day', -1 * window_days, 'months.evaluated_on') }} < candidates.usage_date
{%- endmacro %}


{#- Rows holding the integers first..last in column `column_name`. -#}
{% macro integer_rows(column_name, first, last) -%}
    {%- for number in range(first | int, (last | int) + 1) %}
    select {{ number }} as {{ column_name }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}


{#- The reasons of a hidden_churn_risk row in words, from its signal
    columns: inactivity, each usage measure in `measures` ((column prefix,
    words) pairs) that declined beyond the noise band when the decline
    scored, seats, payments, renewal, and the new-customer note. -#}
{% macro hidden_churn_reasons(measures) -%}
    {%- set noise_band = var('hidden_churn_noise_band') | float -%}
    {%- set baseline_words = window_words(var('hidden_churn_baseline_window_days')) -%}
    {%- set recent_words = window_words(var('hidden_churn_recent_window_days')) -%}
    {%- set history_needed = (var('hidden_churn_recent_window_days') | int)
                             + (var('hidden_churn_min_baseline_days') | int) -%}
    {%- set days_inactive = integer_text('days_since_last_activity') -%}
    {%- set texts = [
        "case when is_inactive and last_active_date is null then "
        ~ dbt.concat(["'never used: no activity in '", days_inactive, "' days while paying'"])
        ~ " when is_inactive then "
        ~ dbt.concat(["'no activity for '", days_inactive, "' days while paying'"])
        ~ " end"
    ] -%}
    {%- for column, words in measures -%}
        {%- do texts.append(
            "case when usage_decline_points > 0 and " ~ column ~ "_decline > " ~ noise_band ~ " then "
            ~ dbt.concat(["'" ~ words ~ " down '", integer_text('100 * ' ~ column ~ '_decline'),
                          "'% vs previous " ~ baseline_words ~ "'"])
            ~ " end") -%}
    {%- endfor -%}
    {%- do texts.append(
        "case when seat_utilisation_points > 0 then "
        ~ dbt.concat([integer_text('recent_active_users'), "' of '", integer_text('licensed_seats'),
                      "' seats used'"])
        ~ " end") -%}
    {%- do texts.append(
        "case when failed_payment_attempts > 0 then "
        ~ dbt.concat([integer_text('failed_payment_attempts'),
                      "case when failed_payment_attempts = 1 then ' failed payment attempt'"
                      ~ " else ' failed payment attempts' end",
                      "' in the last " ~ recent_words ~ "'"])
        ~ " end") -%}
    {%- do texts.append("case when is_past_due then 'subscription past due' end") -%}
    {%- do texts.append(
        "case when renewal_points > 0 then "
        ~ dbt.concat(["'annual renewal in '", integer_text('days_to_renewal'), "' days while usage is low'"])
        ~ " end") -%}
    {%- do texts.append(
        "case when not has_full_baseline then "
        ~ dbt.concat(["'new customer: '", integer_text('history_days'),
                      "' days of history, " ~ history_needed
                      ~ " needed for a usage trend; scored on absolute signals only'"])
        ~ " end") -%}
    {{ join_reasons(texts) }}
{%- endmacro %}
