import cfnumeric

print(cfnumeric.greeting())
