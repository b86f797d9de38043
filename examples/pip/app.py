import cfhello
import cfworld

print(cfhello.greeting(), cfworld.name())
