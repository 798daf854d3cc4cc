-- The day-grain time spine MetricFlow joins metrics to (dbt's required
-- `time_spine` model). A fixed, generous calendar range: independent of the
-- landing data, so it never has to be rebuilt when the data grows.
with days as (
    {{ dbt.date_spine(
        'day',
        "cast('2000-01-01' as date)",
        "cast('2051-01-01' as date)"
    ) }}
),

final as (
    select cast(date_day as date) as date_day
    from days
)

select * from final
