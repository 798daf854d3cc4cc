-- The MRR waterfall of the whole business, one row per month.
with customer_months as (
    select * from {{ ref('fct_mrr') }}
),

totals as (
    {{ mrr_movement_totals('customer_months') }}
),

final as (
    select
        *,
        {{ mrr_movement_ratios() }}
    from totals
)

select * from final
