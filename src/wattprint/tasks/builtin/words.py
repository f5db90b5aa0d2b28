"""Word banks for the built-in inputs. Written for wattprint; licence CC0-1.0 (see README.md).

Every name here is invented or a common first name / noun; no sentence is taken from any
corpus. Generators compose these at run time, deterministically from a seed.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Anna", "Tomas", "Priya", "Kofi", "Mei", "Lars", "Amara", "Diego", "Hana", "Oskar",
    "Leila", "Ravi", "Ines", "Mateo", "Yara", "Jonas", "Nadia", "Kenji", "Sofia", "Emeka",
    "Clara", "Idris", "Freya", "Marek", "Zainab", "Pavel", "Lucia", "Tariq", "Elif", "Bram",
)
SURNAMES = (
    "Holloway", "Marsh", "Okafor", "Lindqvist", "Tanaka", "Varga", "Castell", "Brennan",
    "Moreau", "Adeyemi", "Novak", "Quill", "Ashdown", "Ferreira", "Kowal", "Sato", "Haddad",
    "Whitlock", "Ibsen", "Delacroix", "Mbeki", "Rowntree", "Petrov", "Vance", "Oduya",
)
TOWNS = (
    "Elmsworth", "Port Calder", "Brackenfield", "Dunmore", "Halverton", "Keswyn", "Lowmarsh",
    "Northam Cross", "Oakridge", "Pellham", "Ravensby", "Saltmere", "Thornbury", "Wexcombe",
    "Ashgrove", "Bellhaven", "Corriston", "Fairlow", "Glenmarch", "Hollin Bay",
)
REGIONS = ("Northern Vale", "Eastmoor", "Highcrest", "Westreach", "Southfold", "Lakeland Basin",
           "Red Hills", "Coastal Plain")
RIVERS = ("Aldwater", "Brenn", "Calla", "Dovey", "Esk", "Fennel", "Greywater", "Hollow", "Isbel",
          "Kestrel")
ORG_SUFFIXES = ("Holdings", "Group", "Industries", "Partners", "Labs", "Foods", "Motors",
                "Energy", "Bank", "Logistics")
ORG_WORDS = ("Northfield", "Bluestone", "Ironleaf", "Silverline", "Greenmoor", "Redwing",
             "Clearwater", "Highgate", "Brightforge", "Oakhurst", "Kettle", "Lantern")
NATIONALITIES = ("Danish", "Brazilian", "Kenyan", "Canadian", "Polish", "Korean", "Irish",
                 "Chilean", "Dutch", "Egyptian")
EVENTS = ("Open", "Marathon", "Cup", "Film Festival", "Book Fair", "Regatta")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
PROFESSIONS = ("miller", "shipbuilder", "weaver", "surveyor", "merchant", "stonemason",
               "teacher", "brewer", "engineer", "farmer")
INDUSTRIES = ("fishing", "farming", "textile work", "tourism", "boat building", "wool trading",
              "glass making", "timber", "software", "pottery")
LANDMARKS = ("its stone clock tower", "a long wooden pier", "the old salt market",
             "a round lighthouse", "its hanging gardens", "a seven-arch bridge",
             "the copper-roofed library", "a windmill museum", "its red harbour wall",
             "the hilltop observatory")
FESTIVALS = ("Lantern Festival", "Harvest Fair", "Kite Day", "Music Week", "Boat Parade",
             "Cheese Market", "Apple Fair", "Winter Lights")

# --- reviews ---------------------------------------------------------------------------------
TITLE_ADJ = ("Silent", "Last", "Broken", "Golden", "Hidden", "Distant", "Crimson", "Quiet",
             "Endless", "Frozen", "Burning", "Lonely", "Paper", "Glass", "Midnight", "Wild")
TITLE_NOUN = ("Harbor", "Garden", "Summer", "Letter", "River", "Kingdom", "Road", "Mirror",
              "Orchard", "Signal", "Winter", "Crown", "Station", "Island", "Promise", "Tide")
GENRES = ("drama", "comedy", "thriller", "romance", "war film", "documentary", "western",
          "science fiction film", "family film", "horror film", "musical", "crime story")
ASPECTS = ("the acting", "the script", "the pacing", "the soundtrack", "the camera work",
           "the dialogue", "the ending", "the lead performance", "the supporting cast",
           "the editing", "the set design", "the humour", "the story", "the direction")
POS_ADJ = ("wonderful", "moving", "sharp", "delightful", "gripping", "beautifully made",
           "funny", "heartfelt", "clever", "memorable", "warm", "confident", "charming",
           "thrilling", "tender", "inventive", "superb", "touching", "fresh", "brilliant")
NEG_ADJ = ("tedious", "clumsy", "forgettable", "bland", "messy", "dull", "overlong",
           "lifeless", "predictable", "shallow", "confused", "tiresome", "flat", "muddled",
           "lazy", "awkward", "cheap", "hollow", "painful", "stale")
POS_CLAUSES = ("{aspect} is {adj}", "{aspect} never puts a foot wrong", "{aspect} carries the film",
               "I loved {aspect}", "{aspect} deserves every award it gets",
               "{aspect} kept me smiling", "{aspect} feels effortless",
               "{aspect} is the best thing I have seen this year")
NEG_CLAUSES = ("{aspect} is {adj}", "{aspect} falls apart in the second half",
               "{aspect} drags the whole thing down", "I could not stand {aspect}",
               "{aspect} feels like a first draft", "{aspect} made me check my watch",
               "{aspect} wastes a good idea", "nothing can save {aspect}")
POS_CLOSERS = ("Highly recommended.", "I would happily watch it again.",
               "One of the best films of the year.", "Go and see it.",
               "A small gem.", "It stayed with me for days.")
NEG_CLOSERS = ("Skip it.", "I want those two hours back.", "Not worth the ticket.",
               "A real disappointment.", "Wait until it is free.", "I left before the end.")
WHEN = ("last night", "on a rainy Sunday", "with my family", "at a festival screening",
        "on a long flight", "twice this week", "with low expectations", "after reading the book")

# --- passages (web-text-like, for fill-mask and text generation) -----------------------------
PASSAGE_TOPICS = {
    "kitchen": (
        "If you want to bake {food} at home, start with fresh ingredients and a hot oven.",
        "Most recipes for {food} ask for more sugar than you really need.",
        "Our family has made {food} every {month} for as long as I can remember.",
        "Let the dough rest for at least an hour before you shape it.",
        "A cast iron pan keeps its heat well and browns the crust evenly.",
        "You can keep leftover {food} in the fridge for about three days.",
        "Serve it warm with a spoon of yoghurt and a little honey on top.",
    ),
    "garden": (
        "The best time to plant {plant} in {town} is early {month}, after the last frost.",
        "Water young {plant} in the morning so the leaves can dry before evening.",
        "A thin layer of mulch keeps the soil cool and stops weeds from spreading.",
        "Our allotment group meets every {day} to share seeds and tools.",
        "Slugs love {plant}, so check the beds after every rain.",
        "Compost made from kitchen scraps is the cheapest way to feed the soil.",
    ),
    "travel": (
        "The train from {town} to {town2} takes about two hours and runs every morning.",
        "We stayed in a small guest house near the harbour and walked everywhere.",
        "If you visit in {month}, bring a warm jacket because the evenings are cold.",
        "The old market opens at dawn and sells fish, bread and local cheese.",
        "Most museums in {town} are free on the first {day} of the month.",
        "A bicycle is the easiest way to see the coast between the villages.",
    ),
    "tech": (
        "Before you update your laptop, make a full backup of your files.",
        "A slow phone is often fixed by clearing old photos and unused apps.",
        "Our team in {town} moved the whole service to a new database last {month}.",
        "Always read the error message carefully before searching for a fix.",
        "Short passwords are easy to guess, so use a long phrase instead.",
        "The new version of the app starts faster and uses less memory than before.",
    ),
    "community": (
        "The library in {town} will open late every {day} starting in {month}.",
        "Volunteers cleaned the beach near {town} and collected forty bags of rubbish.",
        "The council plans to repair the footbridge over the {river} River this year.",
        "Local children painted a mural on the wall of the old bus station.",
        "Tickets for the {festival} go on sale at the town hall next week.",
        "A new bakery has opened on the high street, next to the post office.",
    ),
}
OPENERS = ("Last week", "Every morning", "Since the spring", "On Saturday", "This year",
           "For a long time", "Yesterday", "Twice a month")
ACTIVITIES = ("wrote to us with a question", "shared a few tips with readers",
              "started a small blog about it", "asked the same question at the meeting",
              "sent us this short note", "has been trying something new",
              "told us about a simple method", "posted an update on the forum",
              "called the office about it", "looked into it more closely")
FOODS = ("rye bread", "apple cake", "flatbread", "lentil soup", "plum tart", "oat biscuits",
         "corn muffins", "onion pie", "pumpkin loaf", "fish stew")
PLANTS = ("tomatoes", "beans", "lettuce", "sunflowers", "peas", "courgettes", "garlic",
          "strawberries", "carrots", "sweet peas")

# --- image-generation prompts ------------------------------------------------------------------
PROMPT_SUBJECTS = (
    "a lighthouse keeper", "an old fox", "a glass greenhouse", "a floating market",
    "a robot gardener", "a paper boat", "a mountain monastery", "a sleeping dragon",
    "a street musician", "a clockwork owl", "a desert caravan", "a treehouse village",
    "a steam train", "a lone astronaut", "a giant tortoise", "a knitted teapot",
    "a cathedral of ice", "a fishing village", "a city of bridges", "a tiny forest spirit",
)
PROMPT_ACTIONS = ("standing", "resting", "drifting", "reading a map", "waiting", "glowing softly",
                  "walking home", "watching the stars", "crossing a river", "hiding")
PROMPT_SETTINGS = ("on a misty shore", "in a crowded night market", "under a violet sky",
                   "in a snowy valley", "at the edge of a cliff", "inside a dusty attic",
                   "in a sunlit meadow", "on a rainy rooftop", "deep in a bamboo forest",
                   "beside a frozen lake")
PROMPT_STYLES = ("oil painting", "watercolour", "digital art", "pencil sketch", "3d render",
                 "isometric illustration", "stained glass", "ink drawing", "photograph",
                 "papercut art", "concept art", "pixel art")
PROMPT_MODIFIERS = ("highly detailed", "soft lighting", "golden hour", "dramatic shadows",
                    "pastel colours", "wide angle", "sharp focus", "volumetric fog",
                    "cinematic composition", "muted palette", "high contrast", "bokeh",
                    "warm tones", "cool tones", "8k", "intricate patterns", "long exposure",
                    "symmetrical", "minimalist", "vibrant colours", "film grain",
                    "matte finish", "studio lighting", "aerial view", "close-up portrait")

# --- shapes (vision) -----------------------------------------------------------------------------
SHAPE_CLASSES = ("circle", "square", "triangle", "diamond", "cross", "star", "ring", "hexagon",
                 "pentagon", "bar")
COLOURS = {
    "red": (210, 40, 40), "green": (40, 160, 60), "blue": (40, 80, 210), "yellow": (235, 200, 40),
    "purple": (130, 60, 170), "orange": (240, 130, 30), "black": (20, 20, 20),
    "white": (245, 245, 245), "pink": (240, 130, 180), "brown": (120, 80, 40),
}
BACKGROUNDS = {
    "grey": (128, 128, 128), "light grey": (200, 200, 200), "dark grey": (60, 60, 60),
    "cream": (240, 230, 200), "sky blue": (150, 200, 240), "pale green": (190, 230, 190),
    "navy": (20, 30, 80), "sand": (210, 190, 140),
}
