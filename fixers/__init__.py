"""The fixers, one module per problem; the chain order lives in manifesto.registry."""
