"""Word lists the demo generator combines into people, companies and staff."""

from __future__ import annotations


def _split(text: str) -> tuple[str, ...]:
    """Comma-separated words, so names with spaces ('Van der Berg') stay whole."""
    return tuple(word.strip() for word in " ".join(text.split()).split(",") if word.strip())


FIRST_NAMES = _split(
    """
Maya, Liam, Sofia, Noah, Aisha, Lucas, Chloé, Mateo, Priya, Ethan, Yuki, Oliver, Fatima, Jonas,
Amara, Diego, Hannah, Kenji, Zoë, Samuel, Ingrid, Omar, Leila, Tomás, Grace, Arjun, Elena,
Marcus, Nadia, Felix, Chen, Isabel, Kwame, Sara, Henrik, Lucía, Daniel, Mei, Rafael, Olivia,
Tariq, Freya, Jamal, Anika, Pedro, Ruth, Mikhail, Esther, Kofi, Laura, Ravi, Nora, Andrés,
Julia, Björn, Imani, Victor, Hana, Patrick, Camille, Sanjay, Astrid, Malik, Paula, Emeka,
Charlotte, Hiroshi, Beatriz, Connor, Aaliyah, Stefan, Rosa, Dmitri, Naledi, Gabriel, Ines, Wei,
Siobhan, Kai, Theresa
"""
)

LAST_NAMES = _split(
    """
Okafor, Lindqvist, García, Nguyen, Patel, Schmidt, O'Brien, Kowalski, Haddad, Tanaka, Moreau,
Fernandes, Andersson, Mensah, Rossi, Kim, Novak, Sato, Dubois, Alvarez, Johansson, Bianchi,
Mwangi, Cohen, Yilmaz, Murphy, Silva, Fischer, Ivanova, Chowdhury, Walsh, Hernández, Park, Van
der Berg, Osei, Nakamura, Larsen, Khan, Müller, Costa, Reyes, Petrov, Adeyemi, Lambert, Singh,
Zhang, Brennan, Eriksen, Abdi, Castillo, Horvat, Fitzgerald, Mahlangu, Kaur, Bergström, Delgado,
Wójcik, Achterberg, Suzuki, Campbell, Oduya, Rahman, Leclerc, Marsh, Quinn, Baptiste, Hoffmann,
Varga, Ortiz, Lund, Ahmed, Whitaker, Sørensen, Pereira, Kiplagat, Moretti, Ng, Hale, Dimitriou,
Ferreira
"""
)

COMPANY_FIRST = _split(
    """
Blue, North, Bright, Cedar, Harbor, Summit, Iron, Silver, Maple, Granite, Oak, River, Pine,
Copper, Lumen, Nimbus, Orbit, Quartz, Atlas, Beacon, Crescent, Delta, Ember, Falcon, Golden,
Helix, Indigo, Juniper, Kestrel, Lighthouse, Meridian, Nova, Oakridge, Pioneer, Redwood,
Sterling, Tidal, Upland, Vertex, Willow, Zephyr, Alder, Bluebird, Cobalt, Driftwood, Evergreen,
Fjord, Glacier, Horizon, Ivory, Keystone, Lark, Mosaic, Northstar, Opal, Prairie, Sable, Terra,
Violet, Wren
"""
)

COMPANY_SECOND = _split(
    """
Labs, Logistics, Health, Analytics, Studio, Partners, Robotics, Foods, Financial, Media, Energy,
Systems, Works, Dental, Legal, Ventures, Freight, Architects, Clinics, Retail, Software,
Consulting, Biotech, Education, Travel, Marketing, Insurance, Manufacturing, Apparel, Security,
Events, Construction, Hospitality, Payments, Realty, Nonprofit, Engineering, Design, Pharma,
Mobility
"""
)

# Legal-form suffixes; empty strings make most names bare.
COMPANY_SUFFIX: tuple[str, ...] = ("", "", "", " Inc.", " Ltd", " GmbH", " LLC", " Co.", " Group")

EMAIL_TLDS = _split(
    """
com, com, com, io, co, de, co.uk, net, org
"""
)

# The support team answering tickets.
SUPPORT_AGENTS = _split(
    """
Jordan Blake, Priya Raman, Tom Hollis, Alicia Moreno, Sam Whitfield, Nina Petrova, Marcus Lee,
Fiona Gallagher, Dev Mehta, Lena Vogel
"""
)

# Account managers who own paying accounts in the CRM.
ACCOUNT_MANAGERS = _split(
    """
Rachel Kim, Owen Carter, Sunita Rao, Paul Ferreira, Hannah Brooks, Luis Ortega
"""
)

SELF_SERVE_OWNER = "Self-serve (pooled CSM)"

# Endings that fuse with a first word into one-word brands ("Cedarpeak", "Northwind").
COMPANY_JOIN = _split("wind, peak, field, stone, bridge, gate, line, point, scale, loop, works, ly")
