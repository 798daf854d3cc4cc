-- int_forecast_sbg_fits: the refit at the last month (as_of_date's month)
-- uses the same survival counts as int_sbg_fit, so it must give the same
-- fit for every group; groups where they differ (or that one of them lacks)
-- are returned. A check that the counts as of each origin are built right.
-- Tolerance 1e-4 relative: the two fits run the same search on the same
-- counts but may stop one step apart (seen: alpha 2.28351 vs 2.28352 on
-- seven years of demo data); a miscounted origin moves a fit far more.
with refits as (
    select *
    from {{ ref('int_forecast_sbg_fits') }}
    where origin_month = (select max(month) from {{ ref('int_months') }})
),

fits as (
    select * from {{ ref('int_sbg_fit') }}
)

select
    coalesce(fits.segment, refits.segment) as segment,
    fits.alpha,
    refits.alpha as refit_alpha,
    fits.beta,
    refits.beta as refit_beta,
    fits.is_degenerate,
    refits.is_degenerate as refit_is_degenerate
from fits
full outer join refits
    on fits.segment = refits.segment
where
    fits.segment is null
    or refits.segment is null
    or abs(fits.alpha - refits.alpha) > 0.0001 * fits.alpha
    or abs(fits.beta - refits.beta) > 0.0001 * fits.beta
    or fits.is_degenerate <> refits.is_degenerate
