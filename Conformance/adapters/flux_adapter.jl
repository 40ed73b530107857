# Flux.jl's own losses (Flux.Losses), for `losscheck conform`:
#
#     julia --project=. Conformance/adapters/flux_adapter.jl
#     losscheck conform --adapter "julia Conformance/adapters/flux_adapter.jl"
#
# NOT RUN HERE: Julia cannot be installed in the environment this package is developed in, so
# this adapter has never been executed by the authors. It is written against Flux 0.14 / 0.15
# (keywords `eps`, `delta`, `beta`, `smooth`, no `weight`) and falls back to the 0.11-era
# spellings of the seed page (`ϵ`, `δ`, `β`, `weight`); treat its first run as a test of the
# adapter itself. Needs the packages Flux and JSON (`] add Flux JSON`).
#
# Flux is the normative implementation, so this adapter is expected to pass the default gate
# except where SEMANTICS.md says Flux's own floating-point code is graded divergent (the extreme
# regime: the Float32 mean of two 3e38, Inf·0 in Huber's untaken branch, …), and where the
# installed Flux no longer has a keyword (`weight`: answered `unsupported`).

using Flux, JSON, Statistics

const LOSSES = Dict(
    "mae" => Flux.Losses.mae, "mse" => Flux.Losses.mse, "msle" => Flux.Losses.msle,
    "huber_loss" => Flux.Losses.huber_loss, "crossentropy" => Flux.Losses.crossentropy,
    "logitcrossentropy" => Flux.Losses.logitcrossentropy,
    "binarycrossentropy" => Flux.Losses.binarycrossentropy,
    "logitbinarycrossentropy" => Flux.Losses.logitbinarycrossentropy,
    "kldivergence" => Flux.Losses.kldivergence, "poisson_loss" => Flux.Losses.poisson_loss,
    "hinge" => Flux.Losses.hinge_loss, "squared_hinge" => Flux.Losses.squared_hinge_loss,
    "dice_coeff_loss" => Flux.Losses.dice_coeff_loss, "tversky_loss" => Flux.Losses.tversky_loss,
)

# Protocol numbers: JSON numbers, or "NaN", "Infinity", "-Infinity".
number(x::AbstractString, T) = x == "NaN" ? T(NaN) : x == "Infinity" ? T(Inf) : T(-Inf)
number(x::Real, T) = T(x)
# Values go out as the Float64 of the value: exact, and read back in the request's dtype.
out(x) = isnan(x) ? "NaN" : isinf(x) ? (x > 0 ? "Infinity" : "-Infinity") : Float64(x)

# Flat, column-major values and a shape: Julia's own layout.
array(values, shape, T) = reshape(T[number(v, T) for v in values], Tuple(Int.(shape))...)

# Keywords in the installed Flux's spelling, then in the 0.11 spelling of the seed page.
const MODERN = Dict("eps" => :eps, "delta" => :delta, "beta" => :beta, "smooth" => :smooth,
                    "dims" => :dims, "agg" => :agg, "weight" => :weight)
const SEED = Dict("eps" => :ϵ, "delta" => :δ, "beta" => :β, "smooth" => :smooth,
                  "dims" => :dims, "agg" => :agg, "weight" => :weight)

function keywords(params, T, names)
    kw = Pair{Symbol,Any}[]
    for (key, value) in params
        v = if key == "agg"
            Dict("mean" => mean, "sum" => sum, "none" => identity)[value]
        elseif key == "dims"
            value isa AbstractVector ? Tuple(Int.(value)) : Int(value)
        elseif key == "weight"
            value isa AbstractDict ? array(value["data"], value["shape"], T) : T(number(value, Float64))
        else
            T(number(value, Float64))  # scalar parameters in ŷ's element type, as ofeltype does
        end
        push!(kw, names[key] => v)
    end
    kw
end

function evaluate(request)
    T = get(request, "dtype", "float64") == "float32" ? Float32 : Float64
    n = length(request["yhat"])
    shape = get(request, "shape", [n])
    yhat = array(request["yhat"], shape, T)
    y = request["y"] isa AbstractVector ? array(request["y"], get(request, "yshape", shape), T) :
        number(request["y"], T)
    loss = LOSSES[request["loss"]]
    params = get(request, "params", Dict())
    try
        return loss(yhat, y; keywords(params, T, MODERN)...)
    catch e
        e isa MethodError || rethrow()
        try
            return loss(yhat, y; keywords(params, T, SEED)...)
        catch e2
            e2 isa MethodError || rethrow()
            return Unsupported("this Flux version does not take these keywords: " *
                               join(keys(params), ", "))
        end
    end
end

struct Unsupported
    reason::String
end

kind(e) = e isa DimensionMismatch ? "DimensionMismatch" : e isa DomainError ? "DomainError" :
          e isa ArgumentError ? "ArgumentError" : "Other"

function answer(request)
    id = get(request, "id", "")
    if !haskey(LOSSES, get(request, "loss", ""))
        return Dict("id" => id, "unsupported" => "unknown loss")
    end
    value = try
        evaluate(request)
    catch e
        return Dict("id" => id, "error" => Dict("kind" => kind(e), "message" => sprint(showerror, e)))
    end
    value isa Unsupported && return Dict("id" => id, "unsupported" => value.reason)
    value isa AbstractArray && ndims(value) > 0 &&
        return Dict("id" => id, "value" => out.(vec(value)), "shape" => collect(size(value)))
    Dict("id" => id, "value" => out(value isa AbstractArray ? value[] : value))
end

function main()
    hello = Dict("protocol" => "losscheck/1", "implementation" => "Flux $(pkgversion(Flux))",
                 "losses" => sort(collect(keys(LOSSES))), "dtypes" => ["float32", "float64"])
    println(JSON.json(hello)); flush(stdout)
    for line in eachline(stdin)
        isempty(strip(line)) && continue
        response = try
            answer(JSON.parse(line))
        catch e
            Dict("id" => "", "error" => Dict("kind" => "ArgumentError", "message" => sprint(showerror, e)))
        end
        println(JSON.json(response)); flush(stdout)
    end
end

main()
