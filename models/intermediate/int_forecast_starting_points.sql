-- Where each month's forecast starts: the paying customers at the end of the
-- month, grouped by segment and age of their current paying run (months
-- since the month of their latest new or reactivation movement), with their
-- MRR and the sum of its squares (for the band). The run age is the tenure
-- the survival curve is conditioned on, as in customer_lifetime_value.
with customer_months as (
    select * from {{ ref('fct_mrr') }}
),

with_run_start as (
    select
        customer_id,
        segment,
        month,
        mrr,
        max(case when movement in ('new', 'reactivation') then month end) over (
            partition by customer_id
            order by month
            rows between unbounded preceding and current row
        ) as run_start_month
    from customer_months
),

paying as (
    select
        segment,
        month,
        mrr,
        {{ dbt.datediff('run_start_month', 'month', 'month') }} as run_age_months  -- noqa: LT05
    from with_run_start
    where mrr > 0
),

final as (
    select
        month as origin_month,
        segment,
        cast(run_age_months as {{ dbt.type_int() }}) as run_age_months,
        cast(count(*) as {{ dbt.type_bigint() }}) as customers,
        cast(sum(mrr) as decimal(18, 2)) as mrr,
        cast(sum(cast(mrr as {{ type_double() }}) * cast(mrr as {{ type_double() }})) as {{ type_double() }})
            as mrr_squared
    from paying
    group by
        month,
        segment,
        run_age_months
)

select * from final
