"""Products (Startups d'État) after selection: their phases, sponsors, incubator, team, indicators and roadmap,
the comité d'investissement held every six months (the team's file, the grille d'arbitrage, the decision), and
the export of the product's public page in beta.gouv.fr's startup front matter."""
