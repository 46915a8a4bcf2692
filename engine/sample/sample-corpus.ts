/**
 * The demo's sample corpus: short passages written for sparsedb (original text, free to use),
 * on varied topics so that searches have something to tell apart. `topic` and `year` are there
 * to show metadata filters; the years are the passages' made-up publication years.
 */
export interface SamplePassage {
  id: string;
  text: string;
  metadata: { topic: string; year: number };
}

const P = (id: string, topic: string, year: number, text: string): SamplePassage => ({ id, text, metadata: { topic, year } });

export const SAMPLE_CORPUS: readonly SamplePassage[] = [
  P("astro-1", "astronomy", 2019, "A comet is a loose ball of ice and dust; as it nears the sun the ice turns to gas and streams out into a long glowing tail."),
  P("astro-2", "astronomy", 2021, "The moon always shows the same face to the earth because its spin has slowed until one turn takes exactly one orbit."),
  P("astro-3", "astronomy", 2015, "Astronomers find planets around other stars by watching for the tiny dip in starlight when a planet passes in front."),
  P("astro-4", "astronomy", 2008, "Saturn's rings are made of countless pieces of water ice, from grains of dust to blocks the size of a house."),
  P("astro-5", "astronomy", 2023, "A light year is a distance, not a time: the length light travels in one year, close to ten trillion kilometres."),
  P("bio-1", "biology", 2012, "Octopuses can change the colour and texture of their skin in a fraction of a second to hide against rocks and coral."),
  P("bio-2", "biology", 2017, "Tardigrades, tiny animals that live in moss, survive freezing, boiling and even the vacuum of space by drying out."),
  P("bio-3", "biology", 2004, "Migrating birds read the earth's magnetic field, the position of the sun and the patterns of the stars to find their way."),
  P("bio-4", "biology", 2020, "Mushrooms are only the fruit of a fungus; most of the organism is a web of thin threads spreading through the soil."),
  P("bio-5", "biology", 2011, "Whales breathe air through a blowhole on top of the head and can hold their breath for more than an hour when diving."),
  P("bio-6", "biology", 2016, "Ants leave trails of scent that other ants follow, so the shortest path to food grows stronger as more ants use it."),
  P("cook-1", "cooking", 2018, "Searing meat in a very hot pan browns the surface through the Maillard reaction, which creates hundreds of new flavours."),
  P("cook-2", "cooking", 2022, "Sourdough bread uses a starter of wild yeast and lactic bacteria instead of packaged yeast, which gives it a sour taste."),
  P("cook-3", "cooking", 2009, "Pasta water should be salted generously, because the pasta absorbs the salt while it cooks and tastes flat without it."),
  P("cook-4", "cooking", 2014, "Rice keeps better if it is cooled quickly after cooking and stored in the fridge, since warm rice lets bacteria grow."),
  P("cook-5", "cooking", 2021, "An emulsion such as mayonnaise holds oil and water together because egg yolk coats each tiny droplet of oil."),
  P("comp-1", "computing", 2013, "A hash table finds a key in constant time on average by turning the key into an index in an array of buckets."),
  P("comp-2", "computing", 2019, "Garbage collection frees memory that a program can no longer reach, so programmers do not have to release it by hand."),
  P("comp-3", "computing", 2024, "An inverted index lists, for every word, the documents containing it; search engines answer queries by merging these lists."),
  P("comp-4", "computing", 2022, "Learned sparse retrieval models such as SPLADE give every vocabulary term a weight, adding related words a passage never used."),
  P("comp-5", "computing", 2010, "A write-ahead log makes a database durable: every change is appended and flushed to disk before it is applied."),
  P("comp-6", "computing", 2020, "Binary search halves the range at every step, so it finds an item among a million sorted ones in about twenty comparisons."),
  P("comp-7", "computing", 2017, "Public key cryptography lets two strangers agree on a secret over an open channel that anyone can listen to."),
  P("geo-1", "geography", 2006, "The Nile flows north for more than six thousand kilometres, from the lakes of east Africa to the Mediterranean Sea."),
  P("geo-2", "geography", 2015, "Iceland sits on the ridge where two tectonic plates drift apart, which is why it has so many volcanoes and hot springs."),
  P("geo-3", "geography", 2018, "The Atacama desert in Chile is so dry that some of its weather stations have never recorded a drop of rain."),
  P("geo-4", "geography", 2003, "Fjords are long narrow inlets of the sea carved by glaciers, found along the coasts of Norway, Chile and New Zealand."),
  P("geo-5", "geography", 2012, "Lake Baikal in Siberia is the deepest lake on earth and holds about a fifth of the world's unfrozen fresh water."),
  P("hist-1", "history", 2001, "The printing press with movable type, built in Mainz around 1450, made books cheap enough for ordinary people to own."),
  P("hist-2", "history", 2010, "The Silk Road was not one road but a web of caravan routes carrying silk, spices, paper and ideas between China and Europe."),
  P("hist-3", "history", 2014, "The pyramids of Giza were built by paid crews of workers, who lived in a town nearby with bakeries and breweries."),
  P("hist-4", "history", 2007, "The first flight of the Wright brothers in 1903 lasted twelve seconds and covered less ground than a football pitch."),
  P("hist-5", "history", 2019, "The Hanseatic League was an alliance of merchant towns around the Baltic that controlled trade in northern Europe for centuries."),
  P("health-1", "health", 2016, "Regular walking lowers blood pressure, strengthens the heart and improves sleep, even at an easy pace of thirty minutes a day."),
  P("health-2", "health", 2021, "Vaccines train the immune system by showing it a harmless piece or copy of a germ, so it reacts fast to the real one."),
  P("health-3", "health", 2013, "Drinking water matters most in hot weather and during exercise, when the body loses water and salt through sweat."),
  P("health-4", "health", 2023, "Too much screen light late in the evening can delay sleep, because it holds back the hormone melatonin."),
  P("music-1", "music", 2005, "A violin string sounds higher when the player presses it to the fingerboard, because the vibrating part becomes shorter."),
  P("music-2", "music", 2018, "Jazz musicians improvise over a fixed sequence of chords, inventing new melodies each time they play a tune."),
  P("music-3", "music", 2011, "The piano is a percussion instrument as much as a string one: each key throws a felt hammer against tightly stretched wires."),
  P("sport-1", "sport", 2016, "A marathon is 42.195 kilometres long, a distance fixed at the 1908 London Olympics so the race could finish at the royal box."),
  P("sport-2", "sport", 2020, "Cyclists ride close behind one another in a group because the riders in front break the wind for those behind."),
  P("sport-3", "sport", 2009, "In chess, controlling the centre of the board early gives pieces more room to move and makes attacks easier."),
  P("energy-1", "energy", 2022, "Wind turbines turn fastest in steady sea winds, which is why many new wind farms are built offshore."),
  P("energy-2", "energy", 2017, "A heat pump moves warmth from the cold air outside into a house, delivering more heat than the electricity it uses."),
  P("energy-3", "energy", 2024, "Lithium batteries store energy by moving lithium ions between two electrodes; charging pushes them back the other way."),
  P("garden-1", "gardening", 2012, "Tomatoes need full sun, deep watering and a stake to climb; pinching off side shoots puts their energy into fruit."),
  P("garden-2", "gardening", 2019, "Compost turns kitchen scraps and leaves into rich soil as worms, fungi and bacteria break them down over a few months."),
  P("garden-3", "gardening", 2008, "Bees and butterflies visit gardens with many different flowers that bloom from early spring until late autumn."),
  P("travel-1", "travel", 2015, "Night trains let travellers sleep while crossing long distances, arriving in a city centre early in the morning."),
  P("travel-2", "travel", 2023, "Jet lag is worst when flying east, because the body clock finds it harder to shorten a day than to lengthen it."),
  P("travel-3", "travel", 2010, "Lisbon is built on seven hills, and its old yellow trams climb streets too steep for ordinary buses."),
];
