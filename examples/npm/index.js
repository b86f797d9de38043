const express = require("express");
const { v4: uuid } = require("uuid");
const app = express();
app.get("/", (req, res) => res.json({ id: uuid() }));
app.listen(process.env.PORT || 3000);
